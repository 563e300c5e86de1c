"""`motcua users add`: an official's (or an inspector's) account in the user pool, with role and agency.

Citizens sign up themselves in the app; the role and agency of an account are custom attributes that only an
administrator may set (the app client cannot write them), so officials are created here. The pool is
``--user-pool-id`` (default ``$USER_POOL_ID``: the stack's output ``UserPoolId``; `make run` prints its own).
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from motcua.cli.common import fail


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("users", help="accounts in the user pool (officials, inspectors)")
    commands = parser.add_subparsers(dest="users_command", required=True, metavar="SUBCOMMAND")
    add = commands.add_parser(
        "add", help="create (or update) an account with its role and agency",
        description="Create the account of an official or inspector in the Cognito user pool, or update the "
                    "role and agency of an existing one. Prints the account's subject (the tokens' sub) as JSON.")
    add.add_argument("--email", required=True, help="the person's e-mail address (their sign-in name)")
    add.add_argument("--role", required=True,
                     help="reception_officer, processing_officer, agency_leader, inspector or citizen")
    add.add_argument("--agency", metavar="CODE", help="the agency's code (required for officials)")
    add.add_argument("--password", help="a permanent password (local use); default: Cognito e-mails a "
                     "temporary one")
    add.add_argument("--user-pool-id", default=os.environ.get("USER_POOL_ID"),
                     help="the user pool (default: $USER_POOL_ID)")
    add.set_defaults(func=run_add)


def run_add(args: argparse.Namespace) -> int:
    from motcua.data.accounts import put_account
    from motcua.domain.access import AccountInvalid, account_attributes

    if not args.user_pool_id:
        return fail("USER_POOL_REQUIRED", "no user pool: pass --user-pool-id or set USER_POOL_ID")
    try:
        attributes = account_attributes(args.role, args.agency)
    except AccountInvalid as invalid:
        return fail(invalid.code, f"{invalid.message_en} ({invalid.details.get('reason')})")
    account = put_account(args.user_pool_id, args.email, attributes, password=args.password)
    print(json.dumps({"email": args.email, "subject": account.subject, "created": account.created,
                      **{k: v for k, v in attributes.items() if v}}, ensure_ascii=False))
    return 0
