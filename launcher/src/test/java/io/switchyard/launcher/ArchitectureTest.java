package io.switchyard.launcher;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The layout the docs describe (docs/architecture.md), checked on the compiled main code of every module: no package
 * cycles, {@code shared} free of Netty, Javalin and JDBI, the planes independent of each other, and each plane's
 * public surface the documented one (only the launcher, which assembles them, uses it), and the test kit used by
 * tests alone. The test kit's own classes are main code of their module (not under test-classes), so they are
 * imported here as well; only the last rule is about them.
 */
class ArchitectureTest {
    private static JavaClasses main;

    @BeforeAll
    static void importMainCode() {
        main = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.switchyard");
    }

    private static final String[] SHARED = {"io.switchyard.config..", "io.switchyard.routing..", "io.switchyard.host..",
            "io.switchyard.pem..", "io.switchyard.fleet.."};

    @Test
    void noPackageDependsOnItselfInACycle() {
        slices().matching("io.switchyard.(**)").should().beFreeOfCycles().check(main);
    }

    @Test
    void sharedDependsOnNoNettyJavalinOrJdbi() {
        noClasses().that().resideInAnyPackage(SHARED).should().dependOnClassesThat()
                .resideInAnyPackage("io.netty..", "io.javalin..", "org.jdbi..", "org.eclipse.jetty..")
                .check(main);
    }

    @Test
    void sharedDependsOnNeitherPlane() {
        noClasses().that().resideInAnyPackage(SHARED).should().dependOnClassesThat()
                .resideInAnyPackage("io.switchyard.dataplane..", "io.switchyard.controlplane..", "io.switchyard.launcher..")
                .check(main);
    }

    @Test
    void thePlanesNeverDependOnEachOther() {
        noClasses().that().resideInAPackage("io.switchyard.dataplane..").should().dependOnClassesThat()
                .resideInAPackage("io.switchyard.controlplane..").check(main);
        noClasses().that().resideInAPackage("io.switchyard.controlplane..").should().dependOnClassesThat()
                .resideInAPackage("io.switchyard.dataplane..").check(main);
    }

    @Test
    void outsideTheDataPlaneOnlyItsDocumentedSurfaceIsUsed() {
        // The surface is the root package (DataPlane and its nested types, DataPlaneSettings, Handover) plus Metrics;
        // everything in the sub-packages is the data plane's own.
        classes().that().resideInAPackage("io.switchyard.dataplane.*..")
                .and().doNotHaveFullyQualifiedName("io.switchyard.dataplane.status.Metrics")
                .should().onlyBeAccessed().byAnyPackage("io.switchyard.dataplane..")
                .check(main);
    }

    @Test
    void outsideTheControlPlaneOnlyItsDocumentedSurfaceIsUsed() {
        // The surface is the root package: ControlPlane, ControlPlaneSettings (with its nested types), FleetClientTls.
        classes().that().resideInAPackage("io.switchyard.controlplane.*..")
                .should().onlyBeAccessed().byAnyPackage("io.switchyard.controlplane..")
                .check(main);
    }

    @Test
    void noMainCodeDependsOnTheTestKit() {
        // Every module takes the test kit with test scope, so main code cannot compile against it today; this keeps
        // it so if a pom ever changes (a test helper in main code would ship to operators).
        noClasses().that().resideOutsideOfPackage("io.switchyard.testkit..")
                .should().dependOnClassesThat().resideInAPackage("io.switchyard.testkit..")
                .check(main);
    }
}
