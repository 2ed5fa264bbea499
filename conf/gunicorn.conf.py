# gunicorn behind Sluice (protocol: http). Sync workers block on slow clients; Sluice buffers whole requests and
# responses, so a slow client never holds a worker.
bind = "unix:/run/app/gunicorn.sock"
workers = 2
backlog = 64
timeout = 60
