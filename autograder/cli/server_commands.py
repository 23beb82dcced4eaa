"""`nngrade server status|stop`: the warm check server of this kit (cli/server.py), seen and stopped by hand."""
from __future__ import annotations

import click

from autograder.cli import common
from autograder.i18n import t


def _course_file(ctx: click.Context):  # type: ignore[no-untyped-def]
    return common.course(ctx).path.resolve()


@click.group("server")
def server_group() -> None:
    """The check server: a background process that answers `nngrade check` warm.

    The first check in a kit starts it; it leaves after 10 idle minutes
    (NNGRADE_SERVER_IDLE seconds). NNGRADE_SERVER=0 turns it off.
    """


@server_group.command("status")
@click.pass_context
def status_command(ctx: click.Context) -> None:
    """Say whether this kit's check server is running, and its process id."""
    from autograder.cli import fastpath

    course_file = _course_file(ctx)
    reply = fastpath.connect(course_file, {"status": True})
    if reply is None:
        click.echo(t("server.not-running", course=course_file))
        if not fastpath.enabled():
            click.echo(t("server.disabled", env=fastpath.SERVER_ENV))
        return
    click.echo(t("server.running", pid=reply.get("pid"), course=course_file, idle=int(float(reply.get("idle", 0)))))


@server_group.command("stop")
@click.pass_context
def stop_command(ctx: click.Context) -> None:
    """Stop this kit's check server (the next check runs in its own process and starts a new one)."""
    from autograder.cli import fastpath

    course_file = _course_file(ctx)
    reply = fastpath.connect(course_file, {"stop": True})
    click.echo(t("server.stopped" if reply is not None else "server.not-running", course=course_file))
