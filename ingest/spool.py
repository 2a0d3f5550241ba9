"""The on-disk spool: fsync'd batch files of acknowledged requests, waiting to be loaded into the store.

A file in ready/ or loading/ holds acknowledged spans that are not known to be stored; it leaves the spool
only when the store took it or it is moved to dead-letter/ with the reason. Names sort by age and carry the
tenant and the span count: <time_ns>-<seq>.<tenant>.<spans>.bin. Nothing here talks to the store.
"""

from __future__ import annotations

import itertools
import os
import shutil
import time
from pathlib import Path

from ingest import otlp_format

BATCH_PREFIX = "batch-"
PIECE_SUFFIX = ".otlp"  # a batch's files joined into pieces (never *.bin: recover() does not take one for a spool file)
PIECE_BYTES = 32 * 1024 * 1024  # a piece holds spool files up to this much


class Spool:
    def __init__(self, root: Path, fsync: bool) -> None:
        self.ready_dir = root / "ready"
        self.loading_dir = root / "loading"
        self.dead_letter_dir = root.parent / "dead-letter"
        self.fsync = fsync
        self._sequence = itertools.count()
        self.ready_dir.mkdir(parents=True, exist_ok=True)
        self.loading_dir.mkdir(parents=True, exist_ok=True)

    def write(self, tenant: str, requests: list[bytes], spans: int) -> int:
        """Frames requests into one file, fsyncs it and its directory; returns its size. Raises OSError when it
        cannot. The file may be on its way to a load as soon as it is renamed: nothing here looks at it after."""
        name = f"{time.time_ns():020d}-{next(self._sequence):06d}.{safe_tenant(tenant)}.{spans}.bin"
        partial = self.ready_dir / (name + ".part")
        try:
            with partial.open("wb") as handle:
                for request in requests:
                    handle.write(otlp_format.frame_header(len(request)))
                    handle.write(request)
                handle.flush()
                size = handle.tell()
                if self.fsync:
                    os.fsync(handle.fileno())
            partial.rename(self.ready_dir / name)  # only whole files are ever loaded
            if self.fsync:
                fsync_dir(self.ready_dir)
        except OSError:
            partial.unlink(missing_ok=True)
            raise
        return size

    def recover(self) -> tuple[int, int]:
        """Puts back what a crashed process left mid-load and drops unacknowledged partial files.

        Returns the files and bytes now waiting. Files of an interrupted load may be partly in the store
        already; loading them again is harmless (the table collapses duplicate spans).
        """
        for partial in self.ready_dir.glob("*.part"):
            partial.unlink()  # written before a crash, never renamed, never acknowledged
        for batch_dir in self.loading_dir.glob(BATCH_PREFIX + "*"):
            for path in batch_dir.glob("*.bin"):
                path.rename(self.loading_dir / path.name)
            shutil.rmtree(batch_dir)
        files = list(self.ready_dir.glob("*.bin")) + list(self.loading_dir.glob("*.bin"))
        return len(files), sum(path.stat().st_size for path in files)

    def take(self) -> list[Path]:
        """Every spooled file, moved to loading/, oldest first."""
        for path in self.ready_dir.glob("*.bin"):
            path.rename(self.loading_dir / path.name)
        return sorted(self.loading_dir.glob("*.bin"), key=lambda path: path.name)

    def batch(self, tenant: str, paths: list[Path]) -> Path:
        """Moves paths into a directory of their own and returns what a load reads: the one file, or, for several, a
        glob of copies of them joined in order into pieces of at most PIECE_BYTES (or one file; framed requests
        concatenate, and the pieces are cut as loads are: chunks).
        ClickHouse parses each file as blocks of its own through the parse's long chain of expressions: 100 spool
        files (a group commit each) cost 14.8-15.3 µs of CPU a span against 12.3 in 4 pieces and 12.1 in one file,
        which holds the whole load in one block (1.9 GB of RSS against 1.5; README, Ingest performance). The copies
        stay in the page cache and are never fsync'd: the spool files are the durable ones (recover). When a copy
        fails (a full disk), the files go back to loading/ and the error is raised."""
        batch_dir = self.loading_dir / f"{BATCH_PREFIX}{next(self._sequence):06d}.{tenant}"
        batch_dir.mkdir()
        for path in paths:
            path.rename(batch_dir / path.name)
        if len(paths) == 1:
            return batch_dir / paths[0].name
        pattern = batch_dir / f"*{PIECE_SUFFIX}"
        try:
            for index, (_, group) in enumerate(chunks([batch_dir / path.name for path in paths], PIECE_BYTES)):
                with (batch_dir / f"{index:06d}{PIECE_SUFFIX}").open("wb") as piece:
                    for path in group:
                        with path.open("rb") as source:
                            _copy(source.fileno(), piece.fileno())
        except BaseException:
            self.unbatch(pattern)
            raise
        return pattern

    def unbatch(self, pattern: Path) -> None:
        """Puts a batch's files back in loading/ (its load failed) and removes the directory."""
        for path in pattern.parent.glob("*.bin"):
            path.rename(self.loading_dir / path.name)
        for piece in pattern.parent.glob(f"*{PIECE_SUFFIX}"):
            piece.unlink()
        pattern.parent.rmdir()

    def remove_batch(self, pattern: Path) -> None:
        """The store has the batch: its files leave the spool."""
        shutil.rmtree(pattern.parent)

    def dead_letter(self, path: Path, reason: str) -> Path:
        """Moves a file the store keeps refusing to dead-letter/, next to a .reason.txt, both fsync'd."""
        self.dead_letter_dir.mkdir(parents=True, exist_ok=True)
        target = self.dead_letter_dir / path.name
        note = self.dead_letter_dir / (path.name + ".reason.txt")
        with note.open("w", encoding="utf-8") as handle:
            handle.write(reason.rstrip() + "\n")
            handle.flush()
            if self.fsync:
                os.fsync(handle.fileno())
        path.rename(target)
        if self.fsync:
            fsync_dir(self.dead_letter_dir)
        return target


def chunks(paths: list[Path], max_bytes: int) -> list[tuple[str, list[Path]]]:
    """Splits files (oldest first) into loads: per tenant, in order, each at most max_bytes (or one file)."""
    out: list[tuple[str, list[Path]]] = []
    open_chunk: dict[str, tuple[list[Path], list[int]]] = {}
    for path in paths:
        tenant = path.name.split(".")[1]
        size = path.stat().st_size
        current = open_chunk.get(tenant)
        if current is None or (current[0] and current[1][0] + size > max_bytes):
            current = ([], [0])
            open_chunk[tenant] = current
            out.append((tenant, current[0]))
        current[0].append(path)
        current[1][0] += size
    return out


def spans_in(path: Path) -> int:
    """The span count a spool file's name carries (checked when the spans arrived)."""
    parts = path.name.split(".")
    return int(parts[2]) if len(parts) == 4 and parts[2].isdigit() else 0


def safe_tenant(tenant: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in tenant) or "default"


def _copy(source: int, target: int) -> None:
    """Appends the rest of file source to file target, in the kernel where the file system allows it."""
    try:
        while os.copy_file_range(source, target, 1 << 30):
            pass
    except OSError:  # no copy_file_range here (EXDEV, EINVAL, ENOSYS): through user space, from where it stopped
        while chunk := os.read(source, 1 << 23):
            os.write(target, chunk)


def fsync_dir(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
