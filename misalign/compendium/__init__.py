"""compendium"""
