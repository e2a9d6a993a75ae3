"""Cold start to the inbox shown: the installed wheel and the PyInstaller build, against a
bare PySide6 window measured in the same run.

Every measurement is a fresh process, timed from just before it starts until it
prints its first-paint line: for the app, the inbox viewport painted with rows
(``CC_EXIT_AFTER_FIRST_PAINT=1``, see ``console.ui.selftest.exit_after_first_paint``);
for the baseline, a QMainWindow holding a QTreeView with 20 rows, shown and painted.
The process then quits. Variants take turns round by round; each figure is the
median of ``--runs``. The app variants open the same demo workspace, a fresh copy
per run, through their real entry points:

* wheel: the wheel built from ``--src``, installed with ``pip install --no-deps
  --target DIR`` and run as ``python -m console`` with ``PYTHONPATH=DIR``: the app
  comes from the wheel, its dependencies from this Python's environment;
* frozen: ``dist/community-console/community-console`` (``--frozen DIR``; ``--build``
  builds it first with ``packaging/build.sh`` from ``--src``);
* bare: this Python running this file with ``--bare-window``;
* baseline (``--baseline DIR``): the wheel built from another source tree (an
  earlier commit, say), run like ``wheel``: before/after in the same conditions.

"Cold" means a new process each time; the operating system's file cache is warm
(after the first round every file has been read before).

The screen: on the offscreen platform every variant gets one screen of ``--screen``
(default 1920x1080, through the plugin's ``configfile``), so that the app's first
window is its full 1380x820 like the bare window's: on the plugin's own 800x800
screen the app fits its first window to the screen (a smaller window paints sooner),
which would flatter it.

``--phases N`` then runs the wheel N more times through a wrapper that notes when
each step of the start-up ends (imports, QApplication, window built, inbox painted,
first case shown), and prints the median of each: where the time goes. Those runs
are not part of the figures above.

The machine's load average is printed with the figures: on a shared machine,
compare only variants measured in the same run.

Usage: python bench/cold_start.py [--runs 5] [--src DIR] [--baseline DIR]
                                  [--frozen DIR | --build] [--platform offscreen]
                                  [--screen 1920x1080] [--phases 0] [--out bench/out]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LAUNCH_T0_ENV = "CC_LAUNCH_T0"


# ------------------------------------------------------------------ the baseline
def bare_window() -> int:
    """A QMainWindow with a QTreeView of 20 rows: print when its viewport first paints."""
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtGui import QStandardItem, QStandardItemModel
    from PySide6.QtWidgets import QApplication, QMainWindow, QTreeView

    app = QApplication(sys.argv[:1])
    window = QMainWindow()
    view = QTreeView()
    model = QStandardItemModel(0, 7)
    for row in range(20):
        model.appendRow([QStandardItem(f"row {row}, column {col}") for col in range(7)])
    view.setModel(model)
    window.setCentralWidget(view)
    window.resize(1380, 820)

    class FirstPaint(QObject):
        done = False

        def eventFilter(self, obj: QObject, event: QEvent) -> bool:
            if not self.done and event.type() == QEvent.Type.Paint:
                self.done = True
                t0 = os.environ.get(LAUNCH_T0_ENV)
                age = time.time() - float(t0) if t0 else None
                print(json.dumps({"first_paint_s": age, "clock": "launcher",
                                  "rows": model.rowCount()}), flush=True)
                QTimer.singleShot(0, app.quit)
            return False

    watch = FirstPaint()
    view.viewport().installEventFilter(watch)
    window.show()
    return app.exec()


# ------------------------------------------------------------------ phases
PHASES = (
    ("interpreter", "Python up, this wrapper imported"),
    ("cli", "console.cli imported (store, sqlite-utils, models)"),
    ("ui_modules", "console.ui.app imported (Qt, window modules)"),
    ("qapplication", "QApplication made, stylesheet applied"),
    ("workspace", "workspace checked (opened and closed once)"),
    ("window", "services started, MainWindow built"),
    ("shown", "window shown, first queries queued"),
    ("painted", "inbox painted with rows (what the figures time)"),
    ("case", "first case shown in the case panel"),
)


def phase_child(argv: list[str]) -> int:
    """Run the app (``python -m console`` ARGV) noting when each step ends; print them."""
    t0 = float(os.environ[LAUNCH_T0_ENV])
    marks: dict[str, float] = {}

    def mark(name: str) -> None:
        marks.setdefault(name, time.time() - t0)

    mark("interpreter")
    import console.cli
    mark("cli")
    import console.ui.app as ui_app
    mark("ui_modules")
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    make_app, store_open = ui_app.make_app, ui_app.Store.open
    window_class = ui_app.MainWindow

    def timed_make_app(*args: object, **kwargs: object) -> object:
        app = make_app(*args, **kwargs)
        mark("qapplication")
        return app

    def timed_open(*args: object, **kwargs: object) -> object:
        store = store_open(*args, **kwargs)
        mark("workspace")  # the first open: Session's check, on the GUI thread
        return store

    class TimedWindow(window_class):  # type: ignore[misc, valid-type]
        def start(self) -> None:
            mark("window")
            super().start()
            mark("shown")

    def watch(window: object) -> None:
        class Paint(QObject):
            def eventFilter(self, obj: QObject, event: QEvent) -> bool:
                if event.type() == QEvent.Type.Paint and window.model.rowCount() > 0:
                    mark("painted")
                return False

        def case_shown(_case_id: int) -> None:
            mark("case")
            print(json.dumps(marks), flush=True)
            QTimer.singleShot(0, window.close)
            QTimer.singleShot(0, QApplication.quit)

        window.inbox.viewport().installEventFilter(Paint(window))
        window.case_panel.case_loaded.connect(case_shown)
        QTimer.singleShot(30_000, QApplication.quit)

    ui_app.make_app = timed_make_app
    ui_app.Store.open = timed_open  # type: ignore[method-assign]
    ui_app.MainWindow = TimedWindow
    ui_app.exit_after_first_paint = watch
    try:
        return console.cli.main(argv)
    finally:
        ui_app.Store.open = store_open  # type: ignore[method-assign]


def screen_platform(platform: str, screen: str, folder: Path) -> str:
    """The offscreen platform with one screen of ``screen`` (WxH); other platforms as given."""
    if platform != "offscreen":
        return platform
    width, height = (int(v) for v in screen.lower().split("x"))
    config = folder / "screen.json"
    config.write_text(json.dumps({"screens": [{
        "name": "bench", "x": 0, "y": 0, "width": width, "height": height,
        "logicalDpiX": 96, "logicalDpiY": 96, "dpr": 1}]}))
    return f"offscreen:configfile={config}"


# ------------------------------------------------------------------ measuring
def measure(command: list[str], *, env: dict[str, str], cwd: Path, timeout: float = 120
            ) -> dict[str, float]:
    """Start ``command``; seconds until it prints its first-paint JSON line."""
    env = {**env, LAUNCH_T0_ENV: repr(time.time())}
    with tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=err, text=True,
                                env=env, cwd=cwd)
        killer = threading.Timer(timeout, proc.kill)
        killer.start()
        report = None
        wall = 0.0
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                if line.startswith("{") and report is None:
                    wall = time.perf_counter() - started
                    report = json.loads(line)
            code = proc.wait()
        finally:
            killer.cancel()
        if report is None or code != 0:
            err.seek(0)
            raise SystemExit(
                f"{' '.join(command)} exited {code} without a first-paint line within "
                f"{timeout:.0f} s. Is console.ui.selftest.exit_after_first_paint called from "
                f"console/ui/app.py?\n{err.read()[-3000:]}")
    return {"wall_s": wall, "in_process_s": report.get("first_paint_s") or float("nan"),
            "rows": report.get("rows", 0)}


def disk_usage(folder: Path) -> tuple[int, int]:
    """(bytes on disk, apparent bytes) of a folder, symlinks not followed."""
    blocks = apparent = 0
    for path in folder.rglob("*"):
        st = path.lstat()
        if path.is_symlink() or path.is_dir():
            continue
        blocks += getattr(st, "st_blocks", 0) * 512 or st.st_size
        apparent += st.st_size
    return blocks, apparent


def human(n: float) -> str:
    mib = n / 2**20
    return f"{mib:.2f} MiB" if mib < 10 else f"{mib:.0f} MiB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bare-window", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--src", type=Path, default=REPO, help="source tree to build from")
    parser.add_argument("--frozen", type=Path, help="the one-folder build "
                        "(default: SRC/dist/community-console)")
    parser.add_argument("--build", action="store_true", help="build the frozen app first")
    parser.add_argument("--baseline", type=Path,
                        help="another source tree, measured as the 'baseline' variant")
    parser.add_argument("--platform", default="offscreen", help="QT_QPA_PLATFORM for all")
    parser.add_argument("--screen", default="1920x1080",
                        help="the offscreen platform's screen, WxH (default %(default)s)")
    parser.add_argument("--phases", type=int, default=0, metavar="N",
                        help="then N runs of the wheel noting each start-up step")
    parser.add_argument("--phase-child", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out")
    args = parser.parse_args()
    if args.bare_window:
        return bare_window()
    if args.phase_child is not None:
        return phase_child(args.phase_child)

    src = args.src.resolve()
    tmp = Path(tempfile.mkdtemp(prefix="cc-cold-start-"))
    python = sys.executable
    def install(source: Path, name: str) -> tuple[Path, Path]:
        print(f"building the wheel from {source} ...", file=sys.stderr)
        subprocess.run([python, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                        str(tmp / name), str(source)], check=True)
        (built,) = (tmp / name).glob("community_console-*.whl")
        target = tmp / f"site-{name}"
        subprocess.run([python, "-m", "pip", "install", "--no-deps", "-q", "--target",
                        str(target), str(built)], check=True)
        return built, target

    try:
        wheel, site = install(src, "wheel")
        baseline_site = install(args.baseline.resolve(), "baseline")[1] if args.baseline \
            else None

        frozen = (args.frozen or src / "dist" / "community-console").resolve()
        build_s = None
        if args.build:
            frozen = tmp / "dist" / "community-console"
            print("building the PyInstaller app ...", file=sys.stderr)
            t0 = time.perf_counter()
            subprocess.run(["bash", str(src / "packaging" / "build.sh"), "--distpath",
                            str(tmp / "dist"), "--workpath", str(tmp / "build")],
                           check=True, env={**os.environ, "PYTHON": python},
                           stdout=subprocess.DEVNULL)
            build_s = time.perf_counter() - t0
        exe = frozen / "community-console"
        if not exe.exists():
            print(f"no frozen build at {frozen} (packaging/build.sh, or --build): "
                  "measuring the wheel only", file=sys.stderr)

        base_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        platform = screen_platform(args.platform, args.screen, tmp)
        base_env.update(QT_QPA_PLATFORM=platform, CC_EXIT_AFTER_FIRST_PAINT="1")
        template = tmp / "template"
        make_demo = ("import sys; from pathlib import Path\n"
                     "from console.cli import default_scorer\n"
                     "from console.core import demo\n"
                     "demo.create_demo_workspace(Path(sys.argv[1]), scorer=default_scorer())")
        subprocess.run([python, "-c", make_demo, str(template)], check=True, cwd=tmp,
                       env={**base_env, "PYTHONPATH": str(site)})

        variants: dict[str, tuple[list[str], dict[str, str]]] = {
            "bare": ([python, str(Path(__file__).resolve()), "--bare-window"], base_env),
            "wheel": ([python, "-m", "console"], {**base_env, "PYTHONPATH": str(site)}),
        }
        if baseline_site is not None:
            variants["baseline"] = ([python, "-m", "console"],
                                    {**base_env, "PYTHONPATH": str(baseline_site)})
        if exe.exists():
            variants["frozen"] = ([str(exe)], base_env)
        results: dict[str, list[dict[str, float]]] = {name: [] for name in variants}
        for i in range(args.runs):
            for name, (command, env) in variants.items():
                run_dir = tmp / "runs" / f"{name}-{i}"
                (run_dir / "workspaces").mkdir(parents=True)
                shutil.copyfile(template / "demo.db", run_dir / "workspaces" / "bench.db")
                extra = [] if name == "bare" else ["--data-dir", str(run_dir),
                                                   "--workspace", "bench"]
                env = {**env, "XDG_CONFIG_HOME": str(run_dir / "config")}
                results[name].append(measure(command + extra, env=env, cwd=run_dir))
                print(f"round {i + 1}/{args.runs} {name:<6} "
                      f"{results[name][-1]['wall_s']:.3f} s", file=sys.stderr)

        phases: list[dict[str, float]] = []
        for i in range(args.phases):
            run_dir = tmp / "runs" / f"phases-{i}"
            (run_dir / "workspaces").mkdir(parents=True)
            shutil.copyfile(template / "demo.db", run_dir / "workspaces" / "bench.db")
            env = {k: v for k, v in variants["wheel"][1].items()
                   if k != "CC_EXIT_AFTER_FIRST_PAINT"}
            env.update(XDG_CONFIG_HOME=str(run_dir / "config"),
                       **{LAUNCH_T0_ENV: repr(time.time())})
            done = subprocess.run(
                [python, str(Path(__file__).resolve()), "--phase-child", "--data-dir",
                 str(run_dir), "--workspace", "bench"], env=env, cwd=run_dir,
                capture_output=True, text=True, timeout=120, check=False)
            lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
            if done.returncode != 0 or not lines:
                raise SystemExit(f"phase run failed ({done.returncode}):\n{done.stderr[-3000:]}")
            phases.append(json.loads(lines[-1]))
            print(f"phases {i + 1}/{args.phases}", file=sys.stderr)

        load = os.getloadavg()
        summary: dict[str, object] = {"runs": args.runs, "platform": platform,
                                      "python": sys.version.split()[0], "variants": {},
                                      "load_average": load}
        bare = statistics.median(r["wall_s"] for r in results["bare"])
        print(f"\nCold start to the first painted inbox page, median of {args.runs} "
              f"fresh processes ({args.platform} {args.screen}; load average "
              f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}):")
        print(f"  {'variant':<8} {'median':>8} {'min':>8} {'max':>8} {'in-proc':>8}  vs bare")
        for name, runs in results.items():
            walls = [r["wall_s"] for r in runs]
            med = statistics.median(walls)
            inproc = statistics.median(r["in_process_s"] for r in runs)
            summary["variants"][name] = {  # type: ignore[index]
                "median_s": med, "min_s": min(walls), "max_s": max(walls),
                "in_process_median_s": inproc, "ratio_vs_bare": med / bare,
                "rows": runs[0]["rows"], "all_s": walls}
            print(f"  {name:<8} {med:>7.3f}s {min(walls):>7.3f}s {max(walls):>7.3f}s "
                  f"{inproc:>7.3f}s  {med / bare:.2f}x")
        rows = ", ".join(f"{name} {runs[0]['rows']:.0f}" for name, runs in results.items())
        print(f"  rows in the tree view at first paint: {rows}")
        print(f"  wheel: {wheel.name}, {human(wheel.stat().st_size)}")
        summary["wheel_bytes"] = wheel.stat().st_size
        if exe.exists():
            on_disk, apparent = disk_usage(frozen)
            du = shutil.which("du")
            du_text = subprocess.run([du, "-sh", str(frozen)], capture_output=True,
                                     text=True, check=False).stdout.split()[0] if du else "?"
            print(f"  frozen build: du -sh {du_text}; {human(on_disk)} on disk, "
                  f"{human(apparent)} apparent ({frozen})")
            summary.update(frozen_du=du_text, frozen_disk_bytes=on_disk,
                           frozen_apparent_bytes=apparent)
        if build_s is not None:
            print(f"  PyInstaller build took {build_s:.0f} s")
            summary["build_s"] = build_s
        if phases:
            print(f"  where the wheel's start-up goes, median of {len(phases)} runs "
                  "(seconds since launch, and the step's own share):")
            before = 0.0
            medians = {}
            for key, label in PHASES:
                at = statistics.median(p[key] for p in phases if key in p)
                medians[key] = at
                print(f"    {at:6.3f}s  +{at - before:5.3f}s  {label}")
                before = at
            summary["phases_median_s"] = medians
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "cold_start.json").write_text(json.dumps(summary, indent=2) + "\n")
        print(f"  written to {args.out / 'cold_start.json'}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
