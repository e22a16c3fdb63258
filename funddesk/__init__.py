"""Shared kernel of FundDesk: settings, the database, masking of personal numbers, the facts about question text
(language, fund codes), the bot-to-web payload, and the `make run` launcher (stack) that every service builds on."""
