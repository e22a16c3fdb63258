"""Staff: hand-offs and queues, accounts and sessions, who may do what, teams, hours and SLA."""
