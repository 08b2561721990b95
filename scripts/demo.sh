#!/usr/bin/env bash
# make demo: the main jobs on the sandbox "todo" stack, then the ops journal they wrote.
set -euo pipefail
cd "$(dirname "$0")/.."
PB=.venv/bin/ansible-playbook
step() { printf '\n=== %s\n' "$*"; }

step "Sandbox: the todo stack (v1), the fake Telegram Bot API, the local S3 server"
sandbox/bin/up.sh fakes todo
sandbox/bin/s3-server.sh start
AWS_ACCESS_KEY_ID=sandbox-access AWS_SECRET_ACCESS_KEY=sandbox-secret AWS_DEFAULT_REGION=us-east-1 \
  .venv/bin/aws --endpoint-url http://127.0.0.1:9000 s3 mb s3://tgops-backups >/dev/null 2>&1 || true

step "What the stack really is (stack-info.yml, read-only)"
$PB playbooks/stack-info.yml -l todo_stacks

step "Backup to the local dir and S3 (backup.yml)"
$PB playbooks/backup.yml -l todo_stacks

step "Upgrade v1 -> v2 with guarded migrations and a health gate (deploy.yml)"
$PB playbooks/deploy.yml -l todo_stacks -e deploy_version=v2

step "Daily check (daily-check.yml)"
$PB playbooks/daily-check.yml -l todo_stacks

step "On-call diagnose (oncall.yml, read-only)"
$PB playbooks/oncall.yml -l todo_stacks

step "The ops journal ($TGOPS_SANDBOX_ROOT/todo/OPS_JOURNAL.md)"
cat "${TGOPS_SANDBOX_ROOT:-.sandbox}/todo/OPS_JOURNAL.md"
printf '\nDone. Stop the sandbox with: make sandbox-down\n'
