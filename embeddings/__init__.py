"""Saual's retrieval core: knowledge corpus, normalisation, encoders, index, search.

Never imports the bot. The public surface is this module's ``__all__``.
"""

from .agencies import MAX_URL, Agency, load_agencies, valid_url
from .audit import (
    REVIEW_DAYS,
    AuditKind,
    AuditLevel,
    AuditProblem,
    ReviewDue,
    audit,
    count_kinds,
    due_for_review,
    has_errors,
    review_kind,
)
from .corpus import Chunk, Corpus, Document, load_knowledge, load_passages
from .encoders import EmbeddingCache, Encoder, make_encoder
from .errors import (
    CorpusError,
    EmbeddingsError,
    EncoderError,
    IndexCorrupt,
    IndexError_,
    IndexMismatch,
    IndexNotFound,
    Problem,
)
from .evaluate import Question, evaluate, load_questions
from .facts import Change, ChangeKind, Facts, index_facts, material_changes, page_facts
from .index import (
    BuildReport,
    LoadedIndex,
    build_index,
    current_build,
    ensure_index,
    load_index,
    publish_build,
)
from .langs import LANGS, Lang, other
from .normalize import Analyzer, Synonyms, detect_lang, fold, has_latin, loose, to_cyrillic
from .pages import (
    DocKind,
    PageContent,
    PageStatus,
    content_digest,
    parse_page,
    replace_section,
    set_front_matter,
)
from .records import Category, IndexedDocument
from .results import Decision, Hit, SearchResult
from .search import SearchConfig, SearchEngine

__all__ = [
    "LANGS",
    "MAX_URL",
    "REVIEW_DAYS",
    "Agency",
    "Analyzer",
    "AuditKind",
    "AuditLevel",
    "AuditProblem",
    "BuildReport",
    "Category",
    "Change",
    "ChangeKind",
    "Chunk",
    "Corpus",
    "CorpusError",
    "Decision",
    "DocKind",
    "Document",
    "EmbeddingCache",
    "EmbeddingsError",
    "Encoder",
    "EncoderError",
    "Facts",
    "Hit",
    "IndexCorrupt",
    "IndexError_",
    "IndexMismatch",
    "IndexNotFound",
    "IndexedDocument",
    "Lang",
    "LoadedIndex",
    "PageContent",
    "PageStatus",
    "Problem",
    "Question",
    "ReviewDue",
    "SearchConfig",
    "SearchEngine",
    "SearchResult",
    "Synonyms",
    "audit",
    "build_index",
    "content_digest",
    "count_kinds",
    "current_build",
    "detect_lang",
    "due_for_review",
    "ensure_index",
    "evaluate",
    "fold",
    "has_errors",
    "has_latin",
    "index_facts",
    "load_agencies",
    "load_index",
    "load_knowledge",
    "load_passages",
    "load_questions",
    "loose",
    "make_encoder",
    "material_changes",
    "other",
    "page_facts",
    "parse_page",
    "publish_build",
    "replace_section",
    "review_kind",
    "set_front_matter",
    "to_cyrillic",
    "valid_url",
]
