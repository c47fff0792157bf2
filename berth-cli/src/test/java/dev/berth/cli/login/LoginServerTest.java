package dev.berth.cli.login;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LoginServerTest {
  @Test
  void userOf_principalOfTheRealm_isTheUser() {
    assertThat(LoginServer.userOf("alice@SITE.ORG", "SITE.ORG")).contains("alice");
  }

  @Test
  void userOf_otherRealm_isNobody() {
    assertThat(LoginServer.userOf("alice@EVIL.ORG", "SITE.ORG")).isEmpty();
    assertThat(LoginServer.userOf("alice@SITE.ORG.EVIL.ORG", "SITE.ORG")).isEmpty();
  }

  @Test
  void userOf_instanceOrServicePrincipal_isNobody() {
    assertThat(LoginServer.userOf("alice/admin@SITE.ORG", "SITE.ORG")).isEmpty();
    assertThat(LoginServer.userOf("HTTP/berth.site.org@SITE.ORG", "SITE.ORG")).isEmpty();
  }

  @Test
  void userOf_noRealmOrNoName_isNobody() {
    assertThat(LoginServer.userOf("alice", "SITE.ORG")).isEmpty();
    assertThat(LoginServer.userOf("@SITE.ORG", "SITE.ORG")).isEmpty();
    assertThat(LoginServer.userOf("a@b@SITE.ORG", "SITE.ORG")).isEmpty();
  }
}
