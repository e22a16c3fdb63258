"""Shared kernel of FundDesk: settings, the database, masking of personal numbers, the bot-to-web payload, and the
`make run` launcher (stack) that every service builds on."""
