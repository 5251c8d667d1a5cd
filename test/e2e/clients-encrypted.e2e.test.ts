// Every client that can refuse plaintext peers, set to require encryption (MSE/PE, RC4), downloads a file from share-file.
import { describeClientDownloads } from '../support/clients/matrix.ts';

describeClientDownloads('required');
