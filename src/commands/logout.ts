import { logout } from '../cli/login.js';
import { ConfabCommand } from './confab-command.js';

export default class Logout extends ConfabCommand {
  static override description =
    'Forget the stored API key. The backend URL stays in ~/.confab/config.json, so `confab login --backend-url <url>` picks up where you left off; sessions do not sync until you log in again.';
  static override examples = ['<%= config.bin %> logout'];
  static override enableJsonFlag = true;

  async run(): Promise<{ configPath: string; hadKey: boolean; backendUrl: string }> {
    await this.parse(Logout);
    const res = logout();
    if (!this.jsonEnabled()) {
      if (res.hadKey) this.log(`Removed the API key for ${res.backendUrl || 'the backend'} from ${res.configPath}.`);
      else this.log(`No API key stored in ${res.configPath}; nothing to do.`);
    }
    return res;
  }
}
