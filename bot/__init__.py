"""Saual's Telegram application and command line."""
