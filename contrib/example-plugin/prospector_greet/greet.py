"""greet: say hello, and which database the tool would use (an example plugin command).

Example:  prospector-scheduler --db /tmp/x.db greet --times 2 Ada
"""

from prospector_scheduler.errors import UsageError
from prospector_scheduler.registry import command


def add_arguments(parser):
    parser.add_argument("name", help="who to greet")
    parser.add_argument("--times", type=int, default=1, help="how many times (1 to 10; default 1)")


@command("greet", "Greet NAME (an example command from a plugin package).", add_arguments)
def greet(ctx, args):
    if not 1 <= args.times <= 10:
        raise UsageError("greet: --times must be from 1 to 10, not %d" % args.times)
    for _ in range(args.times):
        ctx.stdout.write("hello %s\n" % args.name)
    ctx.log.info("the database would be %s" % ctx.settings.db_path)
    return 0
