#!/usr/bin/env python3
"""GetParametersForImport latency per wrapping key size, as a user calls it.

Calls are paced (one every --interval seconds) so that the server's pool of ready wrapping key
pairs can refill between them, which is how the operation is used: a few calls per import, not
a flood. Prints p50 and p99 per key size. Usage:

  python3 gpfi_latency.py --endpoint http://127.0.0.1:PORT --calls 40 --interval 0.5

Credentials come from the usual AWS environment (AWS_SHARED_CREDENTIALS_FILE, AWS_PROFILE).
"""
import argparse
import statistics
import time

import boto3


def percentile(values, q):
    values = sorted(values)
    index = min(len(values) - 1, max(0, int(round(q * (len(values) - 1)))))
    return values[index]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--calls", type=int, default=40)
    parser.add_argument("--interval", type=float, default=0.5)
    args = parser.parse_args()
    kms = boto3.client("kms", endpoint_url=args.endpoint, region_name=args.region)
    key = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    time.sleep(5)  # the first EXTERNAL key starts the pool; let it fill once
    print("| wrapping key | calls | p50 ms | p99 ms | max ms |")
    print("|---|--:|--:|--:|--:|")
    for spec in ["RSA_2048", "RSA_3072", "RSA_4096"]:
        times = []
        for _ in range(args.calls):
            start = time.perf_counter()
            kms.get_parameters_for_import(
                KeyId=key, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec=spec
            )
            times.append((time.perf_counter() - start) * 1000)
            time.sleep(args.interval)
        print(f"| {spec} | {len(times)} | {statistics.median(times):.1f} | "
              f"{percentile(times, 0.99):.1f} | {max(times):.1f} |")


if __name__ == "__main__":
    main()
