import sys


def main(argv):
    if not argv:
        print("usage: todo api|worker|telegram-bot|migrate [--status]", file=sys.stderr)
        return 2
    cmd, rest = argv[0], argv[1:]
    if cmd == "api":
        from todo import api
        return api.main(rest)
    if cmd == "worker":
        from todo import worker
        return worker.main(rest)
    if cmd == "telegram-bot":
        from todo import bot
        return bot.main(rest)
    if cmd == "migrate":
        from todo import migrate
        return migrate.main(rest)
    print(f"unknown command: {cmd}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]) or 0)
