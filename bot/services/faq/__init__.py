"""Rules Q&A: the knowledge base (kb), the matcher, and the service handlers use (Faq)."""

from bot.services.faq.kb import (
    Category,
    Entry,
    KbError,
    KnowledgeBase,
    Rumour,
    load_knowledge_base,
    validate_dir,
)
from bot.services.faq.matcher import Match, Matcher
from bot.services.faq.service import Answer, Faq, RumourCheck

__all__ = [
    "Answer", "Category", "Entry", "Faq", "KbError", "KnowledgeBase", "Match", "Matcher",
    "Rumour", "RumourCheck", "load_knowledge_base", "validate_dir",
]
