"""Community Console: one desktop inbox for a brand's social accounts."""

__version__ = "0.1.0"
APP_ID = "org.communityconsole.Console"
APP_NAME = "Community Console"
