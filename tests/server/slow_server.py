"""A leaderboard server whose scorer announces itself and then hangs: the durability test kills it
mid-scoring. Usage: python slow_server.py DATA_DIR ANSWERS_DIR PORT MARKER_FILE [DB_URL]"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import uvicorn

from generallevel.server.app import create_app
from generallevel.server.config import ServerConfig


def main() -> None:
    data, answers, port, marker = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
    db_url = sys.argv[5] if len(sys.argv) > 5 else None

    def hanging_scorer(path, answers_dir, tmp_dir=None, **_kw):
        (Path(tmp_dir) / "extracted").write_text("as the real scorer would")  # in the work scratch folder
        marker.write_text("scoring")
        time.sleep(600)  # killed long before this ends
        raise RuntimeError("unreachable")

    config = ServerConfig(data_dir=Path(data), answers_dir=Path(answers), scorer=hanging_scorer, db_url=db_url,
                          heartbeat_seconds=0.2, stale_after_seconds=1.0, poll_seconds=0.1)
    uvicorn.run(create_app(config), host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
