"""The schema, declared once. Importing a module here registers its tables on ``Base.metadata``."""

from . import (  # noqa: F401
    archive,
    core,
    delivery,
    external,
    finance,
    importer,
    jobs,
    locks,
    management,
    packages,
    payroll,
    payroll_forecast,
    payroll_review,
    reconciliation,
    security,
    statutory,
    supplier_tax,
    timeclock,
)
from .base import SCHEMA, Base
from .core import *
from .external import Booking, Customer, PosSale

metadata = Base.metadata

__all__ = ["SCHEMA", "Base", "Booking", "Customer", "PosSale", "metadata"]
