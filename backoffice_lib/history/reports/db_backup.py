"""The verified backup job (``notebooks/history/db_backup.ipynb``, ``db-backup`` in jobs.yml): a
backup of the whole database, verified by a restore into a scratch database, copied to
BACKOFFICE_BACKUP_DIR when set, then the rotation by age in each folder; the verification table
as ``backup_<date>.csv`` in the run's outputs."""

from __future__ import annotations

from pathlib import Path

from ... import bangkok, settings, spreadsheets
from .. import rules
from ..service import backup, verified_backup


def db_backup_report(keep_daily: int = rules.DEFAULT_KEEP_DAILY,
                     keep_weekly: int = rules.DEFAULT_KEEP_WEEKLY,
                     keep_monthly: int = rules.DEFAULT_KEEP_MONTHLY, output_dir: str = ""):
    """The job's notebook call (as BACKOFFICE_USER, an admin): make and verify a backup, rotate,
    write the table compared to ``output_dir`` and return the backups now kept, newest first.
    A backup that does not verify fails the run (after its table is written)."""
    import pandas as pd  # only the notebook's tables need it

    user = settings.acting_user_from_env()
    try:
        record = verified_backup.run_verified_backup(user)
        failure = None
    except verified_backup.BackupNotVerified as exc:
        record, failure = exc.record, exc
    tables = pd.DataFrame(
        [{"table": name, "rows": rows, "md5": md5, "verified": record["verified"]}
         for name, (rows, md5) in sorted(record["tables"].items())],
        columns=["table", "rows", "md5", "verified"])
    if output_dir:
        target = Path(output_dir)
        settings.private_dir(target, narrow_existing=False)
        spreadsheets.inert_frame(tables).to_csv(
            target / f"backup_{bangkok.today().isoformat()}.csv", index=False)
    if failure is not None:
        raise failure
    counts = {"daily": int(keep_daily), "weekly": int(keep_weekly), "monthly": int(keep_monthly)}
    folders = [backup.backups_dir(), *([settings.backup_copy_dir()]
                                       if settings.backup_copy_dir() else [])]
    removed = {str(folder): verified_backup.run_rotate_backups(folder, **counts)
               for folder in folders}
    kept = pd.DataFrame(verified_backup.load_backups(folders))
    print(f"verified {record['file']}: {record['tables_compared']} tables,"
          f" {record['rows_compared']:,} rows; rotation removed"
          f" {sum(len(names) for names in removed.values())} old backups")
    return kept

