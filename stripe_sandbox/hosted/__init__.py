"""Local hosted pages (onboarding, checkout, 3D Secure, dashboard) and the Stripe.js stand-in."""
