"""The staff side of the web service: hand-off and incident services, notices, JSON, charts."""
