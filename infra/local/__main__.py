"""`python -m infra.local run|engines|fire|token|motcua`: the local stack's command line (`make run` is `run`)."""

from __future__ import annotations

import argparse
import json
import os
import sys

from infra.local import runner
from infra.local.cognito import LocalPool
from infra.local.env import Endpoints


def _fire(args: argparse.Namespace) -> int:
    # Against the engines of a running `make run`, from this process: the handler sees the same environment.
    from infra.local.env import local_environment
    from infra.local.scheduler import fire

    runner.configure_logging()
    os.environ.update(local_environment(runner.fixed_endpoints()))
    result = fire(args.function, args.index)
    print(json.dumps(result, ensure_ascii=False, default=str))
    return 0


def _demo(args: argparse.Namespace) -> int:
    # `motcua demo-data` against the engines of a running `make run`, with the report under .local.
    from infra.local.env import local_environment

    runner.configure_logging()
    os.environ.update(local_environment(runner.fixed_endpoints()))
    target, summary = runner.load_demo_province(dossiers=args.dossiers, months=args.months,
                                                end_month=args.end_month)
    print(json.dumps(summary, ensure_ascii=False))
    print(f"report: {target}  (JSON: GET /indexes/{args.end_month})")
    return 0


def _running_pool() -> tuple[Endpoints, LocalPool]:
    """The user pool of a running `make run` (moto's, found by its declared name), its environment set."""
    from infra.local.cognito import ensure_pool
    from infra.local.env import local_environment
    from infra.local.resources import client

    endpoints = runner.fixed_endpoints()
    os.environ.update(local_environment(endpoints))
    pool = ensure_pool(client("cognito-idp", endpoints), endpoints.moto)
    os.environ["USER_POOL_ID"] = pool.pool_id
    return endpoints, pool


def _token(args: argparse.Namespace) -> int:
    # Signing in runs the pre token trigger here, which registers the subject in the running `make run`'s table.
    endpoints, pool = _running_pool()
    print(runner.local_accounts(pool, endpoints).token(args.subject, args.role, args.agency))
    return 0


def _motcua(args: argparse.Namespace) -> int:
    # `motcua ...` with the running `make run`'s environment, e.g. `users add` into its user pool.
    from motcua import cli

    _running_pool()
    return cli.main(args.arguments)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.local", description="Motcua's local stack")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser("run", help="the whole stack: engines, resources, catalogue, API, pollers, schedules")
    run.add_argument("--in-memory", action="store_true", help="do not persist DynamoDB under .local/")
    engines = commands.add_parser("engines", help="only DynamoDB Local and moto, with the resources created")
    engines.add_argument("--in-memory", action="store_true", help="do not persist DynamoDB under .local/")
    fire = commands.add_parser("fire", help="invoke a scheduled function now, against a running `make run`")
    fire.add_argument("function", help="declared function name")
    fire.add_argument("--index", type=int, default=0, help="which of its schedules (default: the first)")
    token = commands.add_parser("token", help="sign a person in to a running `make run`'s user pool (their account "
                                "created if needed) and print the ID token, the bearer token the local API accepts")
    token.add_argument("--subject", default=runner.DEMO_SUBJECT, help="the person's name (<name>@motcua.test)")
    token.add_argument("--role", default="citizen", help="citizen, reception_officer, processing_officer, ...")
    token.add_argument("--agency", default=None, help="agency code (officials)")
    motcua = commands.add_parser("motcua", help="`motcua ...` against a running `make run` (e.g. users add)")
    motcua.add_argument("arguments", nargs=argparse.REMAINDER)
    demo = commands.add_parser("demo", help="load a generated province into a running `make run`, with its reports")
    demo.add_argument("--dossiers", type=int, default=3000)
    demo.add_argument("--months", type=int, default=runner.DEMO_MONTHS)
    demo.add_argument("--end-month", default=runner.DEMO_END_MONTH)
    args = parser.parse_args(argv)

    if args.command == "run":
        return runner.run(in_memory=args.in_memory)
    if args.command == "engines":
        return runner.run(engines_only=True, in_memory=args.in_memory)
    if args.command == "fire":
        return _fire(args)
    if args.command == "demo":
        return _demo(args)
    if args.command == "motcua":
        return _motcua(args)
    return _token(args)


if __name__ == "__main__":
    sys.exit(main())
