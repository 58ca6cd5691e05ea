# s3objects.py CMD BUCKET PREFIX: what the server holds, read with boto3.
#   heads    one line per object: key, ETag, storage class, encryption,
#            KMS key (the HEAD's answer)
#   uploads  the number of unfinished multipart uploads under PREFIX
#   keys     the keys under PREFIX, one a line
import os, sys
import boto3

s3 = boto3.client("s3", endpoint_url=os.environ["DUPC_RGW_ENDPOINT"],
                  region_name="us-east-1",
                  aws_access_key_id=os.environ["DUPC_RGW_ACCESS_KEY"],
                  aws_secret_access_key=os.environ["DUPC_RGW_SECRET_KEY"])
cmd, bucket, prefix = sys.argv[1:4]
if cmd == "heads":
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for o in page.get("Contents", []):
            h = s3.head_object(Bucket=bucket, Key=o["Key"])
            print(o["Key"], h["ETag"], h.get("StorageClass", "STANDARD"),
                  h.get("ServerSideEncryption", "-"), h.get("SSEKMSKeyId", "-"))
elif cmd == "uploads":
    n = 0
    for page in s3.get_paginator("list_multipart_uploads").paginate(Bucket=bucket, Prefix=prefix):
        n += len(page.get("Uploads", []))
    print(n)
elif cmd == "keys":
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for o in page.get("Contents", []):
            print(o["Key"])
