"""Pure security rules: visible text, secret detection, output escaping, path confinement, trust and signing."""
