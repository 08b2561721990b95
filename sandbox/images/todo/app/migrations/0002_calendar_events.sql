CREATE TABLE IF NOT EXISTS calendar_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id INTEGER REFERENCES tasks(id),
    external_id TEXT,
    status TEXT NOT NULL DEFAULT 'pending'
);
