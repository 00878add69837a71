"""The AWS Encryption SDK for Python against kmsd with a multi-Region key (issue 4, SPEC B22).

Usage: mrk_round_trip.py PRIMARY_ARN REPLICA_ARN ACCOUNT_ID

The endpoint and the access key come from KMSD_ENDPOINT, KMSD_ACCESS_KEY and KMSD_SECRET_KEY.
A message encrypted under the primary (us-east-1) is decrypted through the replica's ARN
(eu-west-1) by the MRK-aware strict provider, and by the MRK-aware discovery provider in the
replica's region. A provider that is not MRK-aware must refuse the replica's ARN, which shows
that the decryption really went through the multi-Region matching rules. Each step that works
prints one line starting with "ok"; any failure ends the script with a non-zero status.
"""

import os
import sys

import aws_encryption_sdk
import botocore.session
from aws_encryption_sdk import CommitmentPolicy
from aws_encryption_sdk.exceptions import AWSEncryptionSDKClientError
from aws_encryption_sdk.key_providers.kms import (
    DiscoveryFilter,
    MRKAwareDiscoveryAwsKmsMasterKeyProvider,
    MRKAwareStrictAwsKmsMasterKeyProvider,
    StrictAwsKmsMasterKeyProvider,
)

PLAINTEXT = b"sealed in Virginia, opened in Dublin"
CONTEXT = {"purpose": "kmsd multi-Region test"}


def kmsd_session():
    """A botocore session whose KMS clients all talk to kmsd with the test's access key."""
    endpoint = os.environ["KMSD_ENDPOINT"]
    session = botocore.session.Session()
    session.set_credentials(os.environ["KMSD_ACCESS_KEY"], os.environ["KMSD_SECRET_KEY"])
    create_client = session.create_client

    def create_kmsd_client(service_name, *args, **kwargs):
        # boto3 passes endpoint_url=None explicitly; only kmsd is ever the answer here.
        kwargs["endpoint_url"] = endpoint
        return create_client(service_name, *args, **kwargs)

    session.create_client = create_kmsd_client
    return session


def main():
    primary_arn, replica_arn, account = sys.argv[1:4]
    client = aws_encryption_sdk.EncryptionSDKClient(
        commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT
    )

    # Encrypt with the primary in us-east-1.
    primary = MRKAwareStrictAwsKmsMasterKeyProvider(
        key_ids=[primary_arn], botocore_session=kmsd_session()
    )
    message, _ = client.encrypt(
        source=PLAINTEXT, key_provider=primary, encryption_context=CONTEXT
    )
    print("ok encrypt with", primary_arn)

    # Decrypt with nothing but the replica's ARN: the strict MRK-aware provider matches the
    # primary's ARN in the message to the related key in eu-west-1.
    replica = MRKAwareStrictAwsKmsMasterKeyProvider(
        key_ids=[replica_arn], botocore_session=kmsd_session()
    )
    plaintext, header = client.decrypt(source=message, key_provider=replica)
    assert plaintext == PLAINTEXT, plaintext
    assert all(header.encryption_context.get(k) == v for k, v in CONTEXT.items())
    print("ok strict decrypt with", replica_arn)

    # Discovery in eu-west-1, limited to the test's account.
    discovery = MRKAwareDiscoveryAwsKmsMasterKeyProvider(
        discovery_region="eu-west-1",
        discovery_filter=DiscoveryFilter(account_ids=[account], partition="aws"),
        botocore_session=kmsd_session(),
    )
    plaintext, _ = client.decrypt(source=message, key_provider=discovery)
    assert plaintext == PLAINTEXT, plaintext
    print("ok discovery decrypt in eu-west-1")

    # A provider that is not MRK-aware knows only the exact ARN, so the replica's fails.
    plain = StrictAwsKmsMasterKeyProvider(
        key_ids=[replica_arn], botocore_session=kmsd_session()
    )
    try:
        client.decrypt(source=message, key_provider=plain)
    except AWSEncryptionSDKClientError as err:
        print("ok a provider without MRK awareness refuses:", type(err).__name__)
    else:
        sys.exit("a provider without MRK awareness decrypted through another region's ARN")


if __name__ == "__main__":
    main()
