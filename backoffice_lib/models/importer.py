"""Tables added by the live import (runs, quarantine) (filled in by its migration)."""
