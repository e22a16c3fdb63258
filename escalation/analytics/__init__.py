"""Analytics for fund teams: what the bot contains, where the FAQ falls short, and drafts that close the gaps."""
