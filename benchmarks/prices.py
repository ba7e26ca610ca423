"""AWS list prices in Europe (Frankfurt, eu-central-1) that the cost benchmark applies, each with its source.

Every price is USD per one unit (a request, a GB-second, a message), the first volume tier, free tiers
left out. ``read`` is the date the source was read. ``region_shown`` says whether the source's text showed
the Frankfurt figure itself: AWS's pricing pages draw their region tables with a script, so the text
stored from several of them has only the prose and the US East example; there the Frankfurt figure is
the one AWS's price list gives for eu-central-1, and ``note`` names what the stored text did show.
Lambda runs on arm64, as ``template.yaml`` (Globals) declares.
"""

from __future__ import annotations

from dataclasses import dataclass

READ = "2026-12-01"


@dataclass(frozen=True)
class Price:
    usd: float  # per one unit
    unit: str
    source: str
    read: str = READ
    region_shown: bool = False
    note: str = ""


PRICES: dict[str, Price] = {
    "apigateway_rest_request": Price(
        3.70 / 1_000_000,
        "REST API call received (first 333 million a month)",
        "https://aws.amazon.com/api-gateway/pricing/",
        note="stored text: prose and the US East figure ($3.50 per million); Frankfurt: $3.70 per million",
    ),
    "lambda_request": Price(
        0.20 / 1_000_000,
        "Lambda request (invocation)",
        "https://aws.amazon.com/lambda/pricing/",
        note="$0.20 per million requests, the same in Frankfurt",
    ),
    "lambda_arm_gb_second": Price(
        0.0000133334,
        "Lambda GB-second on arm64 (first 7.5 billion GB-s a month)",
        "https://aws.amazon.com/lambda/pricing/",
        note=(
            "duration rounded up to 1 ms and includes the INIT phase of on-demand ZIP functions since "
            "2025-08-01 (https://aws.amazon.com/blogs/compute/aws-lambda-standardizes-billing-for-init-phase/)"
        ),
    ),
    "sqs_standard_request": Price(
        0.40 / 1_000_000,
        "SQS standard request (each 64 KB chunk of a payload is one request)",
        "https://aws.amazon.com/sqs/pricing/",
        note="$0.40 per million (first 100 billion a month), the same in Frankfurt",
    ),
    "dynamodb_write_request_unit": Price(
        0.7625 / 1_000_000,
        "DynamoDB on-demand write request unit (Standard table class)",
        "https://aws.amazon.com/dynamodb/pricing/on-demand/",
        note="halved on 2024-11-01; stored text: US East $0.625 per million; Frankfurt: $0.7625 per million",
    ),
    "dynamodb_read_request_unit": Price(
        0.1525 / 1_000_000,
        "DynamoDB on-demand read request unit (Standard table class)",
        "https://aws.amazon.com/dynamodb/pricing/on-demand/",
        note="halved on 2024-11-01; stored text: US East $0.125 per million; Frankfurt: $0.1525 per million",
    ),
    "stepfunctions_standard_transition": Price(
        0.025 / 1_000,
        "Step Functions Standard state transition",
        "https://aws.amazon.com/step-functions/pricing/",
        region_shown=True,
        note="Europe (Frankfurt) row of the state transitions table, as benchmarks/bench_routing.py cites it",
    ),
    "sns_publish_request": Price(
        0.50 / 1_000_000,
        "SNS standard topic publish (each 64 KB chunk is one request)",
        "https://aws.amazon.com/sns/pricing/",
        note="$0.50 per million publishes",
    ),
    "sns_email_notification": Price(
        2.00 / 100_000,
        "SNS e-mail/e-mail-JSON notification delivered",
        "https://aws.amazon.com/sns/pricing/",
        note="$2.00 per 100,000 notifications; SMS is priced per country and left out",
    ),
    "ses_outbound_message": Price(
        0.10 / 1_000,
        "SES outbound e-mail message",
        "https://aws.amazon.com/ses/pricing/",
        note="$0.10 per 1,000 messages; attachments' data left out",
    ),
    "secretsmanager_api_call": Price(
        0.05 / 10_000,
        "Secrets Manager API call",
        "https://aws.amazon.com/secrets-manager/pricing/",
        note="$0.05 per 10,000 API calls; the secret's monthly fee is not per inquiry",
    ),
    "ssm_standard_parameter_call": Price(
        0.0,
        "SSM Parameter Store standard parameter API call (standard throughput)",
        "https://aws.amazon.com/systems-manager/pricing/",
        note="no charge for standard parameters at standard throughput",
    ),
    "connect_chat_message": Price(
        0.010,
        "Amazon Connect chat message sent or received",
        "https://aws.amazon.com/connect/pricing/",
        note=(
            "$0.010 per message as transcribed from "
            "https://aws.amazon.com/products/connect/customer/pricing/ on 2026-10-07 "
            "(github.com/api-evangelist/amazon-connect, plans/amazon-connect-plans-pricing.yml); "
            "the earlier Amazon Connect Chat price was $0.004 per message; regional pricing may vary"
        ),
    ),
}

CONNECT_PRIOR_CHAT_MESSAGE_USD = 0.004  # the earlier per-message price, for the ratio at the stricter price
CONNECT_MESSAGES_PER_INQUIRY = 4  # a customer's message, the answer, one more exchange


def usd(name: str) -> float:
    return PRICES[name].usd
