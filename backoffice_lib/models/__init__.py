"""The schema, declared once. Importing a module here registers its tables on ``Base.metadata``."""

from . import archive, core, external, jobs, packages, payroll, reconciliation, timeclock  # noqa: F401
from .base import SCHEMA, Base
from .core import *
from .external import Booking, Customer, PosSale

metadata = Base.metadata

__all__ = ["SCHEMA", "Base", "Booking", "Customer", "PosSale", "metadata"]
