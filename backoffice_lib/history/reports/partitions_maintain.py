"""The partitions' maintenance report (``notebooks/history/db_maintain.ipynb``, a scheduled job):
``maintain`` run in one transaction, the partitions afterwards as a table and a CSV file."""

from __future__ import annotations

from pathlib import Path

from ... import bangkok, database, settings, spreadsheets
from ..queries.partitions import load_partition_overview
from ..rules import DEFAULT_MONTHS_AHEAD
from ..service.partitions import run_maintain


def partitions_maintain_report(months_ahead: int = DEFAULT_MONTHS_AHEAD, output_dir: str = ""):
    """The scheduled job's notebook call: run ``maintain`` in one transaction and return (and
    write to ``output_dir``, when given, as partitions_<date>.csv) the partitions afterwards."""
    import pandas as pd  # only the notebook's table needs it

    user = settings.acting_user_from_env() or "system:maintain"
    with database.transaction() as conn:
        created = run_maintain(conn, int(months_ahead), user_email=user)
        overview = pd.DataFrame(load_partition_overview(conn))
    made = {name for names in created.values() for name in names}
    overview["created_now"] = overview["partition"].isin(made)
    if output_dir:
        target = Path(output_dir)
        target.mkdir(parents=True, exist_ok=True)
        spreadsheets.inert_frame(overview).to_csv(
            target / f"partitions_{bangkok.today().isoformat()}.csv", index=False)
    return overview
