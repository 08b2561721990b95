#!/bin/sh
# api | worker | telegram-bot | migrate [--status]  -> the todo app; anything else is exec'd as is.
case "$1" in
  api|worker|telegram-bot|migrate) exec python3 -m todo "$@" ;;
  *) exec "$@" ;;
esac
