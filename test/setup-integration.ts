// Integration tests talk to the local simulator over HTTP and ride out throttling and IAM propagation delays.
jest.setTimeout(120_000);
