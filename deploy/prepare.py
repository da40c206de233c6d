"""One-shot preparation of a Compose deployment (the `prepare` service), safe to run at every start:
the shop's tables and demo rows (missing ones only), the desk's tables and demo accounts, the
editors' studio, and the live version's model, linked as $STATE_DIR/live-model.tar.gz for the
Rasa replicas. The bridges and Rasa start after it, so they never race to create the same rows."""
import os
from pathlib import Path

from actions.store.database import make_engine
from actions.store.seed import seed
from bot.cli import _live_model, _prepare_desk
from bot.settings import get_settings


def main() -> None:
    settings = get_settings()
    seed(make_engine(settings.store_database_url))
    _prepare_desk(settings)  # prints generated passwords once, unless KUZEY_PASSWORD_<NAME> chose them
    model = _live_model(settings)  # the image's trained model when the live content matches it
    link = settings.state_dir / "live-model.tar.gz"
    temporary = link.with_suffix(".new")
    temporary.unlink(missing_ok=True)
    os.symlink(Path(model).resolve(), temporary)
    temporary.replace(link)  # atomic: a Rasa starting now sees the old or the new model, never none
    print(f"Prepared; live model {model}", flush=True)


if __name__ == "__main__":
    main()
