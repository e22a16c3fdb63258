"""The production profile (`make run-prod`): nginx before two replicas of each process, under supervisord."""
