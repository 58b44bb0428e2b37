"""The rollback example, ``python -m playground.provision``, on the embedded default (SQLite, in-process
worker): the install fails, a TOKEN rollback undoes the disk and the VM, the pipeline runs again."""

from tests.demo.helpers import by_node, run_python, tables


def test_the_provision_example_rolls_back_and_finishes(tmp_path):
    inventory = tmp_path / "inventory.json"
    done = run_python(tmp_path / "db.sqlite3", "-m", "playground.provision", "--inventory", str(inventory))

    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.rstrip().endswith("provision OK: rolled back and finished")
    failed, finished = (by_node(table) for table in tables(done.stdout, "NODE"))
    assert (
        failed["install app"]["STATE"] == "FAILED"
        and failed["install app"]["NOTE"] == "package mirror timed out"
    )
    assert {row["STATE"] for row in finished.values()} == {"FINISHED"}
    log = done.stdout.split("inventory log:\n")[1].splitlines()[:8]
    assert [line.strip() for line in log[3:5]] == ["detached disk:web-1", "deleted vm:web-1"]
    assert '["vm:web-1", "disk:web-1", "app:web-1"]' in done.stdout
