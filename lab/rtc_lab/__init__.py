"""The lab's stand-ins for AWS: a corrected moto endpoint and an IMDSv2 stand-in.

Run with ``PYTHONPATH=lab python -m rtc_lab ...``; see ``__main__.py`` for the CLI.
"""

# Every boto3 client in the lab talks to the local endpoint with these; they are
# never real credentials, and passing them explicitly keeps boto3 from probing
# the CI machine's own metadata service for some.
TEST_CREDENTIALS = {
    "aws_access_key_id": "testing",
    "aws_secret_access_key": "testing",
    "aws_session_token": "testing",
}
DEFAULT_REGION = "us-east-1"
