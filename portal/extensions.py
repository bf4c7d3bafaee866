"""Unbound extension singletons; ``create_app`` binds each one with ``init_app``."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to see this page."
login_manager.login_message_category = "info"
mail = Mail()
migrate = Migrate()
# Limits are declared per route; storage comes from RATELIMIT_STORAGE_URI (memory:// or redis://...).
limiter = Limiter(key_func=get_remote_address)
