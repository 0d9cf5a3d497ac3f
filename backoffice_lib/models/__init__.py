"""The schema, declared once. Importing a module here registers its tables on ``Base.metadata``."""

from . import archive, core, external, jobs, packages, payroll, reconciliation, timeclock  # noqa: F401
from .base import SCHEMA, Base
from .core import *  # noqa: F401,F403
from .external import Booking, Customer, PosSale  # noqa: F401

metadata = Base.metadata

__all__ = ["SCHEMA", "Base", "metadata", "Booking", "Customer", "PosSale"]
