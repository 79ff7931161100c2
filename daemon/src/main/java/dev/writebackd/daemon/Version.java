package dev.writebackd.daemon;

import picocli.CommandLine.IVersionProvider;

/** The version printed by {@code --version}: the jar's {@code Implementation-Version}. */
public final class Version implements IVersionProvider {
    @Override
    public String[] getVersion() {
        String version = Version.class.getPackage().getImplementationVersion();
        return new String[] {"writebackd " + (version != null ? version : "(development build)"),
            "Java " + Runtime.version() + ", " + System.getProperty("java.vm.name")};
    }
}
