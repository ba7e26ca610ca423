"""The one place that creates Kanal's logger, tracer and metrics.

Log structured keys only: never message text, handles, e-mail addresses or phone numbers.
"""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger(service="kanal")
tracer = Tracer(service="kanal")
metrics = Metrics(namespace="Kanal", service="kanal")
