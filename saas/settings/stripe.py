from saas.settings.env import env

# Without STRIPE_SECRET_KEY the project's fake Stripe server (deploy/fakestripe) is used.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", "")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", "")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", "whsec_xuehui_local_fake")
STRIPE_API_BASE = env("STRIPE_API_BASE", "")  # e.g. http://127.0.0.1:12111 for the fake
STRIPE_FAKE = not STRIPE_SECRET_KEY or bool(STRIPE_API_BASE)
if not STRIPE_SECRET_KEY:
    STRIPE_SECRET_KEY = "sk_test_xuehui_fake"
