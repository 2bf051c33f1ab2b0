// Test setup (unit project): the aws-sdk-client-mock-jest matchers, e.g. toHaveReceivedCommandWith.
import "aws-sdk-client-mock-jest";
