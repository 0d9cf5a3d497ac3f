"""Managers' forms: each form action on demo data, and each new dashboard's first render.

    .venv/bin/python -m benchmarks.bench_manager [--render] [--repeat 3]

Targets (issue 14): every form action answered under 1 s on demo data; each new dashboard's
first render under 3 s with a preheated kernel (``--render``: a Voilà server with pool size 1,
measured as bench_serve does).

The actions run through the dashboards' own widget classes (the same calls a click makes) on a
scratch database loaded with the demo data (seed 42), dropped at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa
import yaml

from backoffice_lib import bangkok, database, migrate

ADMIN = "admin@studio.example"
ACTION_TARGET = 1.0
RENDER_TARGET = 3.0
DASHBOARDS = [
    "staff/staff_admin.ipynb",
    "staff/schedules.ipynb",
    "staff/studio_settings.ipynb",
    "packages/front_desk.ipynb",
]


def _scratch_database() -> tuple[sa.engine.URL, str]:
    name = f"bench_manager_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(database.database_url().set(database="postgres"),
                             isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return database.database_url().set(database=name), name


def _drop(name: str) -> None:
    admin = sa.create_engine(database.database_url().set(database="postgres"),
                             isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _timed(results: dict, label: str, action, repeat: int = 1) -> None:
    times = []
    for index in range(repeat):
        start = time.perf_counter()
        action(index)
        times.append(time.perf_counter() - start)
    results[label] = statistics.median(times)
    print(f"  {label:48} {results[label]:6.3f} s", flush=True)


def measure_actions(engine, repeat: int) -> dict[str, float]:
    from backoffice_lib.packages.front_desk_dashboard import FrontDeskDashboard
    from backoffice_lib.staff.schedule_dashboard import ScheduleBoard
    from backoffice_lib.staff.settings_dashboard import StudioSettings
    from backoffice_lib.staff.staff_admin_dashboard import StaffAdmin

    results: dict[str, float] = {}
    boards: dict[str, object] = {}
    _timed(results, "staff admin: build (people, rates, history)",
           lambda _: boards.__setitem__("staff", StaffAdmin(ADMIN, engine=engine)))
    staff = boards["staff"]

    def add(index):
        staff.new_name.value = f"Bench Person {uuid.uuid4().hex[:5]}"
        staff.new_staff_id.value = f"B-{uuid.uuid4().hex[:6]}"
        staff.new_generate.value = True
        staff.new_rates.salary.value = "15000"
        assert staff.on_add_person() is not None, staff.message.value

    _timed(results, "staff admin: add a person (bcrypt cost 12)", add, repeat)

    def raise_(index):
        staff.raise_form.kind.value = "salary"
        staff.raise_form.salary.value = str(16000 + index)
        start = bangkok.today() + dt.timedelta(days=10 + index)
        staff.raise_form.effective_from.value = start.isoformat()
        assert staff.on_save_rate() is not None, staff.message.value

    _timed(results, "staff admin: a raise", raise_, repeat)
    staff.reason.value = "benchmark"
    _timed(results, "staff admin: reset a PIN", lambda _: staff.on_reset_pin(), repeat)
    _timed(results, "staff admin: unlock", lambda _: staff.on_unlock(), repeat)
    _timed(results, "staff admin: pick another person",
           lambda i: setattr(staff.person, "value", staff.person.options[i + 1][1]), repeat)

    _timed(results, "schedules: build",
           lambda _: boards.__setitem__("schedules", ScheduleBoard(ADMIN, engine=engine)))
    board = boards["schedules"]
    _timed(results, "schedules: preview a week's generation",
           lambda _: board.on_preview(), repeat)

    def add_shift(index):
        board.new_person.value = board.new_person.options[index][1]
        board.new_date.value = (bangkok.today() + dt.timedelta(days=60)).isoformat()
        board.new_start.value, board.new_end.value = "06:00", "07:00"
        board.on_add_shift()

    _timed(results, "schedules: add a shift", add_shift, repeat)
    _timed(results, "schedules: next week", lambda _: board.on_move_week(7), repeat)

    _timed(results, "studio settings: build",
           lambda _: boards.__setitem__("settings", StudioSettings(ADMIN, engine=engine)))
    settings_page = boards["settings"]
    _timed(results, "studio settings: fill a year of holidays",
           lambda i: (setattr(settings_page.year, "value", settings_page.year.options[-1]),
                      settings_page.on_fill_year()))
    _timed(results, "studio settings: save a setting",
           lambda i: settings_page.on_save_setting("pin_lockout_minutes"), repeat)

    _timed(results, "front desk: build",
           lambda _: boards.__setitem__("desk", FrontDeskDashboard(ADMIN, engine=engine)))
    desk = boards["desk"]
    desk.employee.value = desk.employee.options[1][1]  # who is credited: chosen, as at the desk
    _timed(results, "front desk: find a customer",
           lambda _: (setattr(desk.find, "value", "a"), desk.on_find()), repeat)
    _timed(results, "front desk: pick a customer",
           lambda i: setattr(desk.customer, "value", desk.customer.options[i + 2][1]), repeat)
    _timed(results, "front desk: sell a package", lambda _: desk.on_sell(), repeat)

    def usage(index):
        desk.use_package.value = desk.use_package.options[0][1]
        desk.use_hours.value = "0.5"
        desk.on_use()

    _timed(results, "front desk: usage preview (type the hours)",
           lambda i: setattr(desk.use_hours, "value", f"{i + 1}.5"), repeat)
    _timed(results, "front desk: record usage", usage, repeat)
    return results


def measure_renders(url: sa.engine.URL, repeat: int, only: str = "") -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    from backoffice_lib.workbench import catalog, serve
    from benchmarks import bench_serve

    os.environ["BACKOFFICE_DATABASE_URL"] = url.render_as_string(hide_password=False)
    os.environ.setdefault("BACKOFFICE_USER", ADMIN)
    results = {}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        # a catalog of the four new dashboards only: the pool preheats 4 kernels, not every one
        books = Path(tmp) / "notebooks"
        entries = []
        for path in DASHBOARDS:
            (books / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(catalog.notebooks_dir() / path, books / path)
            entries.append({"path": path, "kind": "dashboard", "title": path,
                            "audience": "managers", "purpose": "benchmark"})
        (books / "catalog.yml").write_text(yaml.safe_dump({"notebooks": entries}))
        os.environ["BACKOFFICE_NOTEBOOKS_DIR"] = str(books)
        browser = playwright.chromium.launch(executable_path=bench_serve.CHROMIUM,
                                             args=bench_serve.ARGS)
        process, base = bench_serve._start(1, Path(tmp) / "serve.log")
        try:
            for path in [p for p in DASHBOARDS if only in p]:
                times = []
                for _ in range(repeat):
                    time.sleep(serve.REFILL_DELAY_SECONDS + 1)
                    bench_serve._wait_idle(process)
                    times.append(bench_serve._measure(browser, base, path, "preheated"))
                results[path] = min(times)
        finally:
            bench_serve._stop(process)
            browser.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--render", action="store_true", help="also measure first renders")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--only", default="", help="render only dashboards whose path has this")
    args = parser.parse_args()
    from backoffice_lib import demo_data

    url, name = _scratch_database()
    engine = database.get_engine(url.render_as_string(hide_password=False))
    print(f"scratch database {name}; {os.cpu_count()} cores; load {os.getloadavg()[0]:.1f}")
    try:
        with engine.begin() as conn:
            migrate.upgrade(conn)
        demo_data.run_demo_load(seed=42, scale=1, engine=engine)
        actions = measure_actions(engine, args.repeat)
        renders = measure_renders(url, 2, args.only) if args.render else {}
    finally:
        engine.dispose()
        if args.keep:
            print(f"kept {url.render_as_string(hide_password=False)}")
        else:
            _drop(name)
    worst = max(actions, key=actions.get)
    print(f"\nform actions: {len(actions)}; slowest {worst}: {actions[worst]:.3f} s"
          f" (target < {ACTION_TARGET:.0f} s, ratio {actions[worst] / ACTION_TARGET:.2f})")
    for path, seconds in renders.items():
        print(f"first render {path:34} {seconds:5.2f} s (target < {RENDER_TARGET:.0f} s,"
              f" ratio {seconds / RENDER_TARGET:.2f})")
    print(f"median of {args.repeat} per action; load average now {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
