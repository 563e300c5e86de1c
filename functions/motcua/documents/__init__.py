"""Official documents as PDF bytes: the one-stop-shop forms (``forms``) and signed electronic results
(``signing``, checked by ``verification``; ``local_ca``: the local test CA). Pure libraries: no AWS client
here; handlers store the bytes in S3 and fetch keys from Secrets Manager / KMS themselves."""
