"""The worker's side and the judge's side of the sandbox: process, worker, audit hook, protocol, fork server."""
