"""Building the bot: train the Rasa model when its inputs change, generate its fund lookup table."""
