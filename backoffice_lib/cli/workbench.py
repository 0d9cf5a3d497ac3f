"""`backoffice serve`: the workbench's dashboards with Voilà (landing page at /).

Exit codes: 0 when the server stops; 2 bad input (a broken catalog, a sign-in setting that
cannot work), one line on stderr.
"""

from __future__ import annotations

import sys

import click

from ..workbench import catalog, serve

EXIT_BAD_INPUT = 2


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_BAD_INPUT)


@click.command("serve")
@click.option("--port", default=serve.DEFAULT_PORT, show_default=True, type=int)
@click.option("--ip", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option(
    "--user",
    envvar="BACKOFFICE_USER",
    help="single machine: the signed-in user's e-mail (default BACKOFFICE_USER)",
)
@click.option(
    "--auth-header",
    envvar="BACKOFFICE_AUTH_HEADER",
    help="shared deployment: the auth proxy's header naming the user, e.g. X-Forwarded-Email"
    " (believed only with the proxy's secret and/or from --trusted-proxy; needs --public-host)",
)
@click.option(
    "--token",
    envvar="BACKOFFICE_SERVE_TOKEN",
    help="Jupyter token required in the URL (default: a new random one; '' with --no-token)",
)
@click.option("--no-token", is_flag=True, help="no token (only behind an auth proxy or for tests)")
@click.option(
    "--pool-size",
    default=serve.DEFAULT_POOL_SIZE,
    show_default=True,
    type=click.IntRange(0, 4),
    help="preheated kernels per dashboard (0: start a kernel per page view)",
)
@click.option(
    "--proxy-secret-file",
    envvar="BACKOFFICE_PROXY_SECRET_FILE",
    type=click.Path(dir_okay=False),
    help="with --auth-header: file holding the secret the proxy sends as X-Backoffice-Proxy-Secret"
    " (else BACKOFFICE_PROXY_SECRET)",
)
@click.option(
    "--trusted-proxy",
    "trusted_proxies",
    multiple=True,
    metavar="ADDRESS",
    help="with --auth-header: the proxy's address or network (repeatable)",
)
@click.option(
    "--public-host",
    "public_hosts",
    multiple=True,
    metavar="HOST",
    help="the host name people open (the Host header is checked; repeatable)",
)
@click.option(
    "--kiosk",
    is_flag=True,
    help="serve only the time-clock kiosk, as --user (an allowed, non-admin kiosk user)",
)
def serve_command(
    port, ip, user, auth_header, token, no_token, pool_size, proxy_secret_file, trusted_proxies,
    public_hosts, kiosk,
):
    """Serve the catalog's dashboards with Voilà (landing page at /)."""
    import os

    from ..workbench import signin

    if no_token or auth_header:
        token = ""
    elif not token:
        token = serve.new_token()
    try:
        secret = signin.read_proxy_secret(proxy_secret_file, os.environ) if auth_header else ""
        options = serve.ServeOptions(
            port=port,
            ip=ip,
            token=token,
            auth_header=auth_header or None,
            user=user or None,
            pool_size=pool_size,
            proxy_secret=secret,
            trusted_proxies=tuple(trusted_proxies),
            public_hosts=tuple(public_hosts),
            kiosk=kiosk,
        )
        serve.run_server(options, announce=lambda line: click.echo(line, err=False))
    except (catalog.CatalogError, signin.SignInConfigError) as exc:
        _fail(str(exc))


@click.command("lab")
@click.option("--port", default=8888, show_default=True, type=int)
@click.option("--ip", default="127.0.0.1", show_default=True,
              help="address to listen on (beyond loopback only with the token)")
@click.option("--user", envvar="BACKOFFICE_USER",
              help="the analyst's e-mail (an admin or an allowed user with is_analyst)")
@click.option("--token", envvar="BACKOFFICE_LAB_TOKEN",
              help="Jupyter token required in the URL (default: a new random one)")
@click.option("--no-token", is_flag=True, help="no token (refused beyond loopback)")
@click.option("--allow-root", is_flag=True,
              help="let JupyterLab run as root (CI, containers); refused as root otherwise")
def lab_command(port, ip, user, token, no_token, allow_root):
    """JupyterLab for analysts: their own notebooks, kernels as the analyst database role."""
    from ..workbench import lab, signin

    token = "" if no_token else (token or serve.new_token())
    options = lab.LabOptions(port=port, ip=ip, user=user or None, token=token,
                             allow_root=allow_root)
    try:
        lab.run_lab(options, announce=lambda line: click.echo(line, err=False))
    except (lab.LabError, signin.SignInConfigError) as exc:
        _fail(str(exc))
