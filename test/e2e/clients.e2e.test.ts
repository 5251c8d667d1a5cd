// Every common BitTorrent client, each with its own default settings, downloads a file from share-file across two namespaces.
import { describeClientDownloads } from '../support/clients/matrix.ts';

describeClientDownloads('default');
